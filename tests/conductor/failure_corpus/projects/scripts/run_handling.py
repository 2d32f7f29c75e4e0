from app.handling import parse

print(parse('seven'))
