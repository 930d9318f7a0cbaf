"""Auth: accounts, scrypt passwords, signed tokens, devices, profiles, plans, signup."""
