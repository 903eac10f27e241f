"""What a user can press in a message a bot sent: buttons, template actions and
quick-reply items, in the order the chat page shows them.
"""

from __future__ import annotations


def pressables(content: dict) -> list[dict]:
    """Every action a user can press in a received message, in display order.

    Each item: {"index", "label", "action", "where"} where `where` is the template
    kind (button_template, list_template, carousel, image_carousel) or quickReply.
    The chat page walks content in the same order, so an index means the same here
    and there.
    """
    found: list[tuple[str, dict]] = []
    kind = content.get("type")
    if kind == "button_template":
        found += [("button_template", a) for a in content.get("actions") or []]
    elif kind == "list_template":
        for el in content.get("elements") or []:
            if isinstance(el, dict) and el.get("action"):
                found.append(("list_template", el["action"]))
        for row in content.get("actions") or []:
            found += [("list_template", a) for a in row or []]
    elif kind == "carousel":
        for col in content.get("columns") or []:
            if col.get("defaultAction"):
                found.append(("carousel", col["defaultAction"]))
            found += [("carousel", a) for a in col.get("actions") or []]
    elif kind == "image_carousel":
        for col in content.get("columns") or []:
            if col.get("action"):
                found.append(("image_carousel", col["action"]))
    for item in (content.get("quickReply") or {}).get("items") or []:
        if item.get("action"):
            found.append(("quickReply", item["action"]))
    return [
        {"index": i, "label": a.get("label") or "", "action": a, "where": where}
        for i, (where, a) in enumerate(found)
    ]
