from app.shapes import Square

print(Square(2).area())
