"""The centre's web pages: the security desk and the operations centre's board."""
