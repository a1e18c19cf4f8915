"""What goes onto the terminal's hardware beneath the application: the Pi's boot settings
(config.txt) and the tools that provision the sensors' own memory."""
