"""The exception hierarchy: statuses, codes, envelope and problem forms, registry, pickling."""

from __future__ import annotations

import gc
import pickle
import re

import pytest

import netrun.errors
from netrun.core.context import correlation_context
from netrun.errors import (
    AuthenticationError,
    AuthorizationError,
    BadGatewayError,
    BudgetExceededError,
    ConfigurationError,
    ConflictError,
    CORSValidationError,
    DatabaseError,
    GatewayTimeoutError,
    HTTPError,
    InternalServerError,
    MethodNotAllowedError,
    NetrunException,
    PermissionDeniedError,
    RateLimitExceededError,
    ResourceNotFoundError,
    ServiceUnavailableError,
    TenantAccessDeniedError,
    TenantContextMissingError,
    TokenExpiredError,
    TokenInvalidError,
    UnsupportedMediaTypeError,
    ValidationError,
    error_class_for_code,
    error_class_for_status,
    iter_error_classes,
)
from netrun.errors.exceptions import __doc__ as hierarchy_doc

SCREAMING_SNAKE = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (ValidationError, 400),
        (CORSValidationError, 400),
        (AuthenticationError, 401),
        (TokenExpiredError, 401),
        (TokenInvalidError, 401),
        (AuthorizationError, 403),
        (PermissionDeniedError, 403),
        (TenantAccessDeniedError, 403),
        (ResourceNotFoundError, 404),
        (MethodNotAllowedError, 405),
        (ConflictError, 409),
        (UnsupportedMediaTypeError, 415),
        (RateLimitExceededError, 429),
        (BudgetExceededError, 429),
        (InternalServerError, 500),
        (ConfigurationError, 500),
        (TenantContextMissingError, 500),
        (BadGatewayError, 502),
        (ServiceUnavailableError, 503),
        (DatabaseError, 503),
        (GatewayTimeoutError, 504),
    ],
)
def test_each_class_has_the_contract_status(cls: type[NetrunException], status: int) -> None:
    assert cls.status_code == status
    assert cls().status_code == status


def test_seed_families_are_subclasses_of_their_parents() -> None:
    assert issubclass(TokenExpiredError, AuthenticationError)
    assert issubclass(TenantAccessDeniedError, AuthorizationError)
    assert issubclass(DatabaseError, ServiceUnavailableError)
    assert issubclass(BudgetExceededError, RateLimitExceededError)
    assert issubclass(CORSValidationError, NetrunException)
    assert issubclass(TenantContextMissingError, InternalServerError)


def test_error_codes_are_unique_and_screaming_snake_case() -> None:
    declared = [cls.error_code for cls in iter_error_classes() if "error_code" in vars(cls)]
    assert len(declared) == len(set(declared)), declared
    assert all(SCREAMING_SNAKE.match(code) for code in declared), declared


def test_registry_lists_every_public_class_and_later_subclasses() -> None:
    public = {
        obj
        for obj in vars(netrun.errors).values()
        if isinstance(obj, type) and issubclass(obj, NetrunException)
    }
    classes = list(iter_error_classes())
    assert classes[0] is NetrunException
    assert public <= set(classes)

    class PaymentFailedError(NetrunException):
        status_code = 402
        error_code = "NETRUN_TEST_PAYMENT_FAILED"

    assert PaymentFailedError in set(iter_error_classes())
    assert error_class_for_code("NETRUN_TEST_PAYMENT_FAILED") is PaymentFailedError


def test_hierarchy_tree_in_the_docstring_names_every_class() -> None:
    assert hierarchy_doc is not None
    for cls in iter_error_classes():
        if cls.__module__ == "netrun.errors.exceptions":
            assert f" {cls.__name__} " in hierarchy_doc, cls


def test_a_malformed_error_code_fails_where_the_class_is_written() -> None:
    with pytest.raises(TypeError, match="SCREAMING_SNAKE_CASE"):

        class BadError(NetrunException):
            error_code = "bad-code"

    # The half-built class sits in __subclasses__ until collected; do not let it leak into
    # the registry other tests read.
    gc.collect()
    assert all(cls.__name__ != "BadError" for cls in iter_error_classes())


def test_lookup_by_code_and_status() -> None:
    assert error_class_for_code("TOKEN_EXPIRED") is TokenExpiredError
    assert error_class_for_code("NO_SUCH_CODE") is None
    assert error_class_for_status(404) is ResourceNotFoundError
    assert error_class_for_status(418) is None


def test_to_dict_is_the_envelope() -> None:
    exc = ConflictError("Order exists.", {"order_id": 7}, correlation_id="cid-1")
    assert exc.to_dict() == {
        "error": {
            "code": "CONFLICT",
            "message": "Order exists.",
            "details": {"order_id": 7},
            "correlation_id": "cid-1",
        }
    }


def test_defaults_message_and_details() -> None:
    exc = ResourceNotFoundError()
    assert exc.message == "Not found."
    assert str(exc) == "Not found."
    assert exc.details == {}
    assert "ResourceNotFoundError(message='Not found.'" in repr(exc)


def test_extra_keyword_arguments_join_the_details() -> None:
    exc = ResourceNotFoundError(details={"resource": "order"}, id=7)
    assert exc.details == {"resource": "order", "id": 7}


def test_details_are_copied_not_shared() -> None:
    given = {"a": 1}
    exc = ValidationError(details=given)
    exc.details["b"] = 2
    assert given == {"a": 1}


def test_correlation_id_comes_from_the_context() -> None:
    with correlation_context("from-context"):
        assert ValidationError().correlation_id == "from-context"


def test_correlation_id_is_generated_without_a_context_and_not_left_behind() -> None:
    from netrun.core.context import current_correlation_id

    first, second = ValidationError(), ValidationError()
    assert re.fullmatch(r"[0-9a-f]{32}", first.correlation_id)
    assert first.correlation_id != second.correlation_id
    assert current_correlation_id() is None


def test_explicit_correlation_id_wins_over_the_context() -> None:
    with correlation_context("from-context"):
        assert ValidationError(correlation_id="explicit").correlation_id == "explicit"


def test_to_problem_is_rfc9457_with_extension_members() -> None:
    exc = ConflictError("Order exists.", {"order_id": 7}, correlation_id="cid-2")
    assert exc.to_problem() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "Order exists.",
        "code": "CONFLICT",
        "correlation_id": "cid-2",
        "details": {"order_id": 7},
    }
    assert exc.to_problem(instance="/orders/7")["instance"] == "/orders/7"


def test_rate_limit_keeps_retry_after_in_whole_seconds_rounded_up() -> None:
    exc = RateLimitExceededError(retry_after=12.2)
    assert exc.retry_after == 13
    assert exc.details == {"retry_after": 13}
    assert RateLimitExceededError().retry_after is None
    assert "retry_after" not in RateLimitExceededError().details


def test_budget_exceeded_is_a_rate_limit_with_its_own_code() -> None:
    exc = BudgetExceededError(retry_after=3600, budget="tenant-monthly")
    assert exc.error_code == "BUDGET_EXCEEDED"
    assert exc.details == {"budget": "tenant-monthly", "retry_after": 3600}


def test_http_error_carries_any_status() -> None:
    exc = HTTPError(418)
    assert exc.status_code == 418
    assert exc.message == "I'm a Teapot"
    assert exc.to_problem()["title"] == "I'm a Teapot"
    assert HTTPError(599, "odd").title == "Error"


def test_pickling_keeps_everything() -> None:
    exc = RateLimitExceededError("slow", {"scope": "api"}, retry_after=5, correlation_id="c-9")
    clone = pickle.loads(pickle.dumps(exc))  # noqa: S301 - our own bytes
    assert type(clone) is RateLimitExceededError
    assert clone.to_dict() == exc.to_dict()
    assert clone.retry_after == 5
    assert str(clone) == "slow"
    teapot = pickle.loads(pickle.dumps(HTTPError(418)))  # noqa: S301 - our own bytes
    assert teapot.status_code == 418


def test_a_class_with_two_netrun_parents_is_listed_once() -> None:
    class ConflictingInputError(ValidationError, ConflictError):
        error_code = "NETRUN_TEST_CONFLICTING_INPUT"

    listed = [cls for cls in iter_error_classes() if cls is ConflictingInputError]
    assert listed == [ConflictingInputError]
    assert ConflictingInputError.status_code == 400  # the first parent wins, as in Python
