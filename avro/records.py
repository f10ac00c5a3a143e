"""Record names of the Avro schemas and the record each topic carries (streams.md).

Code names records through these constants rather than string literals so
that a typo fails at import time, and the topic map lets a generic consumer
(a sink, the dead-letter path) check that a value on a topic is the record
that topic is meant to carry.
"""

from __future__ import annotations

from attrib import topics

TOUCH = "Touch"
INSTALL = "Install"
SESSION = "Session"
IN_APP_EVENT = "InAppEvent"
APP_CONFIG = "AppConfig"
ATTRIBUTION = "Attribution"
REENGAGEMENT = "Reengagement"
ATTRIBUTED_EVENT = "AttributedEvent"
POSTBACK_DELIVERY = "PostbackDelivery"
DEAD_LETTER = "DeadLetter"

#: topic short name (attrib.topics) -> the record name of its values
TOPIC_RECORDS: dict[str, str] = {
    topics.CLICKS: TOUCH,
    topics.IMPRESSIONS: TOUCH,
    topics.INSTALLS: INSTALL,
    topics.SESSIONS: SESSION,
    topics.EVENTS: IN_APP_EVENT,
    topics.APP_CONFIG: APP_CONFIG,
    topics.ATTRIBUTIONS: ATTRIBUTION,
    topics.REENGAGEMENTS: REENGAGEMENT,
    topics.ATTRIBUTED_EVENTS: ATTRIBUTED_EVENT,
    topics.POSTBACK_DELIVERIES: POSTBACK_DELIVERY,
    topics.DEAD_LETTER: DEAD_LETTER,
}
