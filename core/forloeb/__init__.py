"""The forløb: one mentor and one mentee over months - lifecycle, planned end, attention."""
