"""Objects of one side that commitments URLs can point at (filled in with the views)."""


def commitment_objects(side, year):
    return {}
