SECRET_KEY = "corpus-only"
INSTALLED_APPS = ["shopapp"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
USE_TZ = True
