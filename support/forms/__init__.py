"""Support's forms: the help centre's and the tickets'."""
