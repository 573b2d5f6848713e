"""Contact cards: each member's card, what a link shares on acceptance, vCards and the card photo."""
