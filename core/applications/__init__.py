"""Applications on a programme's public page: "Bliv mentor" / "Få en mentor" (issue 17)."""
