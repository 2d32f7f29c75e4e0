def pytest_collection_modifyitems(items):
    raise RuntimeError("plugin broke while sorting tests")  # BUG:internal
