from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ mapping|get_item:key }}` for dict lookups with a variable key."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None
