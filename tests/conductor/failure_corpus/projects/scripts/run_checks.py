from app.checks import positive

print(positive([3, -1, 4]))
