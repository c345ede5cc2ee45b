"""Objects of one side that rembuk URLs can point at (filled in with the views)."""


def rembuk_objects(side, year):
    return {}
