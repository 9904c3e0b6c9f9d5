"""GDPR: a person's access log, the export of everything held (Art. 15) and the Art. 30 register."""
