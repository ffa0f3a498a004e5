"""Standard Webhooks signatures: the reference vector, and what verify refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from tracsh.delivery.signing import SignatureError, sign, signature, verify

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
BODY = b'{"test": 2432232314}'


def test_the_specification_s_reference_vector():
    assert signature(SECRET, MSG_ID, STAMP, BODY) == (
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    )


def test_a_signed_request_verifies_and_gives_its_id():
    headers = sign(SECRET, MSG_ID, STAMP, BODY)
    assert verify(SECRET, headers, BODY, now=STAMP + 10) == MSG_ID
    upper = {name.upper(): value for name, value in headers.items()}
    assert verify(SECRET, upper, BODY, now=STAMP) == MSG_ID


def test_a_plain_text_secret_is_used_as_it_is():
    headers = sign("not-base64 secret", "m1", STAMP, BODY)
    assert verify("not-base64 secret", headers, BODY, now=STAMP) == "m1"


def test_any_of_several_signatures_may_match():
    headers = sign(SECRET, MSG_ID, STAMP, BODY)
    old = signature("whsec_b2xk", MSG_ID, STAMP, BODY)
    headers["webhook-signature"] = f"{old} {headers['webhook-signature']}"
    assert verify(SECRET, headers, BODY, now=STAMP) == MSG_ID


def tampered(field: str, value):
    headers = sign(SECRET, MSG_ID, STAMP, BODY)
    if value is None:
        del headers[field]
    else:
        headers[field] = value
    return headers


@pytest.mark.parametrize(
    ("headers", "body", "now", "message"),
    [
        (tampered("webhook-id", "msg_other"), BODY, STAMP, "no signature matches"),
        (
            tampered("webhook-timestamp", str(STAMP + 1)),
            BODY,
            STAMP,
            "no signature matches",
        ),
        (sign(SECRET, MSG_ID, STAMP, BODY), BODY + b" ", STAMP, "no signature matches"),
        (
            sign("whsec_b3RoZXI=", MSG_ID, STAMP, BODY),
            BODY,
            STAMP,
            "no signature matches",
        ),
        (
            sign(SECRET, MSG_ID, STAMP, BODY),
            BODY,
            STAMP + 301,
            "webhook-timestamp is too far from the current time",
        ),
        (
            sign(SECRET, MSG_ID, STAMP, BODY),
            BODY,
            STAMP - 301,
            "webhook-timestamp is too far from the current time",
        ),
        (
            tampered("webhook-signature", None),
            BODY,
            STAMP,
            "missing webhook-id, webhook-timestamp or signature",
        ),
        (
            tampered("webhook-timestamp", "soon"),
            BODY,
            STAMP,
            "webhook-timestamp is not a number: 'soon'",
        ),
    ],
)
def test_verify_refuses(headers, body, now, message):
    with pytest.raises(SignatureError) as caught:
        verify(SECRET, headers, body, now=now)
    assert str(caught.value) == message


@pytest.mark.parametrize("secret", ["", "   ", "whsec_", None])
def test_an_empty_secret_neither_signs_nor_verifies(secret):
    with pytest.raises(SignatureError) as signing:
        sign(secret, MSG_ID, STAMP, BODY)
    # A request signed with an empty HMAC key, as a sender with an empty
    # variable once made it, is refused by a receiver whose secret is empty too.
    empty_key = hmac.new(b"", f"{MSG_ID}.{STAMP}.".encode() + BODY, hashlib.sha256)
    headers = {
        "webhook-id": MSG_ID,
        "webhook-timestamp": str(STAMP),
        "webhook-signature": "v1," + base64.b64encode(empty_key.digest()).decode(),
    }
    with pytest.raises(SignatureError) as verifying:
        verify(secret, headers, BODY, now=STAMP)
    assert "secret is empty; use a real key" in str(signing.value)
    assert str(verifying.value) == str(signing.value)
