"""The only modules that call dearpygui."""
