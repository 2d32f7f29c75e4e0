from app.deep import level_one

print(level_one())
