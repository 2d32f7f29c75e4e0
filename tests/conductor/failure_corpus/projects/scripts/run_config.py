from app.config import port

print(port('{"host": "x"}'))
