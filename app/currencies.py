"""Active ISO 4217 currency codes: what an in-app event's ``currency`` may be.

Shared by the collector (which refuses other codes) and the workers (which
dead-letter an event record carrying one).

Shipped as data rather than looked up at run time (http-api.md refuses a
currency that is not ISO-4217, and the collector must decide that without a
network call). The list holds the codes in current use, plus the codes being
phased out in a current transition (``ANG``/``XCG``, ``ZWL``/``ZWG``,
``SLL``/``SLE``) so that apps on older store SDKs keep working. ``XXX`` (no
currency) and ``XTS`` (testing) are left out: they name no revenue.
"""

from __future__ import annotations

from typing import Final

_CODES: Final = """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV
    BRL BSD BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUC CUP CVE
    CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
    HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD
    KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV
    MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB
    RWF SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT
    TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES VND VUV WST XAF
    XAG XAU XBA XBB XBC XBD XCD XCG XDR XOF XPD XPF XPT XSU XUA YER ZAR ZMW ZWG ZWL
"""
ISO_4217_CODES: Final = frozenset(_CODES.split())


def currency_code(text: str) -> str | None:
    """The stored (uppercase) form of ``text`` when it is an active code, else ``None``."""
    code = text.strip().upper()
    return code if code in ISO_4217_CODES else None


__all__ = ["ISO_4217_CODES", "currency_code"]
