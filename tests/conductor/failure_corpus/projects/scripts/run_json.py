from app.config import load

print(load('{broken'))  # BUG:json
