"""Users, roles, training centres and sign-in."""
