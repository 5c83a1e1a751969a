"""How a caller of the room gives what opens a room, declared apart from the service so
that `detente room open` can word its own refusals with it before the room extra is loaded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class OpeningGiven:
    """How the caller of :meth:`RoomService.open_room` gives the parties or experts, their
    pool weights and the room's options (and, to :meth:`RoomService.respond`, the round a
    party answers), so that its refusals name what the caller wrote: a request to the
    room's HTTP API by the fields of its body (:data:`BY_REQUEST`), `detente room` by its
    flags (:data:`BY_FLAGS`)."""

    place: str  # where a refusal of the experts' labels is located
    example: str  # how to give two experts
    weight_place_template: str  # where a refusal of {label}'s pool weight is located
    weight_example: str  # how to give an expert's pool weight
    party_place_template: str  # where a refusal of the {index}th mediation party is located
    parties_place: str  # where a refusal of the mediation parties together is located
    options_in_body: bool  # the options are the fields of the body's "options" object
    round_place: str  # where a refusal of the round a party answers is located

    def weight_place(self, label: str) -> str:
        """Where a refusal of ``label``'s pool weight is located."""
        return self.weight_place_template.format(label=label)

    def party_place(self, index: int) -> str:
        """Where a refusal of the mediation party given ``index``th (from 0) is located."""
        return self.party_place_template.format(index=index)


#: The HTTP API's body fields, which are also ``open_room``'s parameters (docs/room.md).
BY_REQUEST = OpeningGiven("parties", 'e.g. "parties": ["E1", "E2"]', "weights.{label}",
                          'e.g. "weights": {"E1": 2} (weights are relative)',
                          "parties[{index}]", "parties", options_in_body=True,
                          round_place="round")
#: `detente room open`'s flags: one flag per weight or party, so the flag locates each.
BY_FLAGS = OpeningGiven("--expert", "e.g. --expert E1 --expert E2", "--weight",
                        "e.g. --weight E1=2 (weights are relative)", "--party", "--party",
                        options_in_body=False, round_place="--round")
