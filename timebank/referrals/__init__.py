"""GP practices refer patients by SMS: partners, the referral pipeline and its grammar."""
