"""Data people control: how long guests' data is kept, a guest's own page (see, withdraw, erase), a member's export."""
