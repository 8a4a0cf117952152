"""What to tell the customer: a plain sentence saying what was done, in their language where we have it.

The composer offers it once an action is approved; the agent inserts it into the reply and may change
it. Languages: English, German, French, Spanish and Dutch; any other falls back to English.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rapport.recovery.money import format_money

if TYPE_CHECKING:
    from rapport.recovery.models import RecoveryAction

FALLBACK = "en"

# kind -> language -> sentence. {amount}, {order} and {code} are filled in; the pieces below are added.
SENTENCES: dict[str, dict[str, str]] = {
    "refund": {
        "en": (
            "We've refunded {amount}{order_en} to your original payment method; it can take 3–5 "
            "working days to show."
        ),
        "de": (
            "Wir haben Ihnen {amount}{order_de} auf Ihr ursprüngliches Zahlungsmittel erstattet; "
            "bis die Gutschrift erscheint, kann es 3–5 Werktage dauern."
        ),
        "fr": (
            "Nous vous avons remboursé {amount}{order_fr} sur votre moyen de paiement d'origine ; "
            "cela peut prendre 3 à 5 jours ouvrés."
        ),
        "es": (
            "Te hemos reembolsado {amount}{order_es} en tu método de pago original; puede tardar "
            "de 3 a 5 días hábiles en aparecer."
        ),
        "nl": (
            "We hebben {amount}{order_nl} teruggestort op je oorspronkelijke betaalmethode; het "
            "kan 3–5 werkdagen duren voor je het ziet."
        ),
    },
    "replacement": {
        "en": "We've sent a replacement{order_en}{expedited_en}; {shipping_en}.",
        "de": "Wir haben Ihnen einen Ersatz{order_de} geschickt{expedited_de}; {shipping_de}.",
        "fr": "Nous vous avons envoyé un remplacement{order_fr}{expedited_fr} ; {shipping_fr}.",
        "es": "Te hemos enviado un reemplazo{order_es}{expedited_es}; {shipping_es}.",
        "nl": "We hebben een vervanging{order_nl} gestuurd{expedited_nl}; {shipping_nl}.",
    },
    "exchange": {
        "en": "We've arranged an exchange{order_en}{expedited_en}; {shipping_en}.",
        "de": "Wir haben einen Umtausch{order_de} veranlasst{expedited_de}; {shipping_de}.",
        "fr": "Nous avons organisé un échange{order_fr}{expedited_fr} ; {shipping_fr}.",
        "es": "Hemos organizado un cambio{order_es}{expedited_es}; {shipping_es}.",
        "nl": "We hebben een omruiling{order_nl} geregeld{expedited_nl}; {shipping_nl}.",
    },
    "free_shipping": {
        "en": "Your next order ships free of charge.",
        "de": "Ihre nächste Bestellung versenden wir kostenlos.",
        "fr": "Votre prochaine commande sera livrée gratuitement.",
        "es": "Tu próximo pedido tendrá envío gratuito.",
        "nl": "Je volgende bestelling versturen we gratis.",
    },
    "goodwill_credit": {
        "en": "We've added a credit of {amount} to your account, to use on your next order.",
        "de": (
            "Wir haben Ihrem Konto ein Guthaben von {amount} gutgeschrieben, das Sie bei Ihrer "
            "nächsten Bestellung nutzen können."
        ),
        "fr": (
            "Nous avons ajouté un avoir de {amount} sur votre compte, à utiliser lors de votre "
            "prochaine commande."
        ),
        "es": "Hemos añadido un crédito de {amount} a tu cuenta para tu próximo pedido.",
        "nl": (
            "We hebben een tegoed van {amount} op je account gezet, te gebruiken bij je volgende bestelling."
        ),
    },
    "coupon": {
        "en": "Here is a coupon worth {amount} for your next order: {code}",
        "de": "Hier ist ein Gutschein über {amount} für Ihre nächste Bestellung: {code}",
        "fr": "Voici un bon de réduction de {amount} pour votre prochaine commande : {code}",
        "es": "Aquí tienes un cupón de {amount} para tu próximo pedido: {code}",
        "nl": "Hier is een kortingscode van {amount} voor je volgende bestelling: {code}",
    },
    "return_label": {
        "en": "We've sent you a prepaid return label{order_en}; there is nothing to pay for the return.",
        "de": (
            "Wir haben Ihnen ein frankiertes Rücksendeetikett{order_de} geschickt; die "
            "Rücksendung ist für Sie kostenlos."
        ),
        "fr": (
            "Nous vous avons envoyé une étiquette de retour prépayée{order_fr} ; le retour est "
            "gratuit pour vous."
        ),
        "es": (
            "Te hemos enviado una etiqueta de devolución prepagada{order_es}; la devolución no "
            "tiene coste para ti."
        ),
        "nl": "We hebben je een gefrankeerd retourlabel{order_nl} gestuurd; het terugsturen kost je niets.",
    },
}

ORDER = {
    "en": " for order {number}",
    "de": " für Bestellung {number}",
    "fr": " pour la commande {number}",
    "es": " para el pedido {number}",
    "nl": " voor bestelling {number}",
}
EXPEDITED = {
    "en": " by express delivery",
    "de": " per Expressversand",
    "fr": " en livraison express",
    "es": " por envío urgente",
    "nl": " met spoedlevering",
}
SHIPPING = {
    "free": {
        "en": "there is no charge for shipping",
        "de": "der Versand ist für Sie kostenlos",
        "fr": "la livraison est gratuite",
        "es": "el envío no tiene coste",
        "nl": "er zijn geen verzendkosten",
    },
    "usual": {
        "en": "you'll get the tracking details by email",
        "de": "die Sendungsverfolgung erhalten Sie per E-Mail",
        "fr": "vous recevrez le suivi par e-mail",
        "es": "recibirás el seguimiento por correo electrónico",
        "nl": "je ontvangt de track-and-trace per e-mail",
    },
}
LANGUAGES = tuple(SENTENCES["refund"])


def reply_language(language: str) -> str:
    """The customer's language ("de-AT", "fr") as one we have a translation for, else English."""
    primary = (language or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return primary if primary in LANGUAGES else FALLBACK


def suggested_reply(action: RecoveryAction, language: str) -> str:
    """A plain sentence saying what was done ("We've sent a replacement; there is no charge for shipping")."""
    lang = reply_language(language)
    key = "coupon" if action.kind == "goodwill_credit" and action.coupon_code else action.kind
    template = SENTENCES[key][lang]
    number = action.order.number if action.order_id and action.order is not None else ""
    order = ORDER[lang].format(number=number) if number else ""
    pieces = {
        "amount": format_money(action.amount, action.currency),
        "code": action.coupon_code,
        f"order_{lang}": order,
        f"expedited_{lang}": EXPEDITED[lang] if action.expedited else "",
        f"shipping_{lang}": SHIPPING["free" if action.waive_shipping else "usual"][lang],
    }
    return template.format(**pieces)
