from .policy import memberships_of, national_roles


def portal(request):
    """Navigation facts for the base layout: the current district and the user's roles."""
    district = getattr(request, "district", None)
    access = getattr(request, "access", None)
    context = {"current_district": district, "access": access}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        memberships = memberships_of(request)
        context["has_several_districts"] = (
            len({m.district_id for m in memberships if m.district_id}) > 1
            or bool(national_roles(memberships))
            or any(m.province_id for m in memberships)
        )
        # "Kelurahan saya" for a lurah: his own village here is a kelurahan
        own = (
            [m.village for m in memberships if m.village_id and m.district_id == district.id]
            if district
            else []
        )
        context["own_village_is_kelurahan"] = bool(own) and all(v.is_kelurahan for v in own)
    return context
