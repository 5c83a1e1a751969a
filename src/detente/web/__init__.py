"""The local web workbench (``detente serve``; needs the ``web`` extra: FastAPI, uvicorn).

:func:`detente.web.app.create_app` builds the FastAPI app; :mod:`detente.web.analyses`
adapts each analysis of the library to the page; :mod:`detente.web.jobs` runs them off the
request thread with a time limit; its limits are :class:`detente.ServerLimits`. This
package imports no FastAPI until its ``app`` module is imported.
"""
