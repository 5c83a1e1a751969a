"""How a caller of the room gives its experts, declared apart from the service so that
`detente room open` can word its own refusals with it before the room extra is loaded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExpertsGiven:
    """How the caller of :meth:`RoomService.open_room` gives the experts and their pool
    weights, so that its refusals name what the caller wrote: a request to the room's HTTP
    API by the fields of its body (:data:`BY_REQUEST`), `detente room open` by its flags."""

    place: str  # where a refusal of the experts' labels is located
    example: str  # how to give two experts
    weight_place_template: str  # where a refusal of {label}'s pool weight is located
    weight_example: str  # how to give an expert's pool weight

    def weight_place(self, label: str) -> str:
        """Where a refusal of ``label``'s pool weight is located."""
        return self.weight_place_template.format(label=label)


#: The HTTP API's body fields, which are also ``open_room``'s parameters (docs/room.md).
BY_REQUEST = ExpertsGiven("parties", 'e.g. "parties": ["E1", "E2"]', "weights.{label}",
                          'e.g. "weights": {"E1": 2} (weights are relative)')
#: `detente room open`'s flags: one flag per weight, so the flag locates every one.
BY_FLAGS = ExpertsGiven("--expert", "e.g. --expert E1 --expert E2", "--weight",
                        "e.g. --weight E1=2 (weights are relative)")
