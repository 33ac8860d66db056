"""The channels through which people reach the organisation (web, phone, e-mail, social
media, counter, a partner organisation): one vocabulary for dossiers, questions and contacts."""

from __future__ import annotations

from mijn.i18n import N_

CHANNELS = ("web", "phone", "email", "social_media", "counter", "partner")
# How they read.
CHANNEL_LABELS = {
    "web": N_("Website"),
    "phone": N_("Telefoon"),
    "email": N_("E-mail"),
    "social_media": N_("Sociale media"),
    "counter": N_("Balie"),
    "partner": N_("Partnerorganisatie"),
}
