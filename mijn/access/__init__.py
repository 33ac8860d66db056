"""Who is asking and what they may see: the session's identity, Access and scopes (own
party, company and branch, mandates), levels of assurance, the staff member and what each
staff role may do. The one place for these rules; every area and front end reads them here."""
