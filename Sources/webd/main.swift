print("webd: not built yet")
