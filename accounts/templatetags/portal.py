from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ mapping|get_item:key }}` for dict lookups with a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.simple_tag(takes_context=True)
def once_field(context):
    """The one-time key of a form that creates something (accounts.once)."""
    from django.utils.html import format_html

    from accounts.once import FIELD, key_for

    return format_html(
        '<input type="hidden" name="{}" value="{}">', FIELD, key_for(context["request"])
    )


@register.simple_tag(takes_context=True)
def edit_token_field(context, obj, field="updated_at"):
    """The edit token of the record a form changes (lib.stale): a save made from an out-of-date
    page is refused instead of overwriting someone else's change."""
    from django.utils.html import format_html

    from lib.stale import FIELD, edit_token

    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, edit_token(obj, field))


@register.filter
def person(user, fallback=""):
    """A user's name for history rows, comments and files: the full name, else the email, else
    (the user was deleted, or the row was made by the system) a word that says so."""
    if user is None:
        from django.utils.translation import gettext

        return fallback or gettext("sistem / pengguna terhapus")
    return user.full_name or user.email
