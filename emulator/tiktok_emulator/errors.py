"""TikTok's application error codes, raised by handlers and turned into the envelope by the app.

TikTok answers HTTP 200 for application errors; the code in the body says what went wrong.
"""
from __future__ import annotations

OK = 0
INVALID_PARAMS = 40000
PERMISSION_ERROR = 40001
PARAM_ERROR = 40002
NOT_EXIST = 40007
ID_LIMIT_EXCEED = 40011
BIZ_FC_ERROR = 40016
REQUEST_TOO_FREQUENT = 40100
INVALID_PARTNER = 40101
ACCESS_TOKEN_EXPIRE = 40102
REFRESH_TOKEN_EXPIRE = 40103
EMPTY_ACCESS_TOKEN = 40104
INVALID_ACCESS_TOKEN = 40105
INVALID_CORE_USER = 40106
INVALID_REFRESH_TOKEN = 40107
INVALID_GRANT_TYPE = 40108
AUTH_CODE_ERROR = 40110
ADVERTISER_QPS_LIMIT = 40133
TASK_NOT_READY = 40201
DUPLICATED_MATERIAL_NAME = 40911
SIGNATURE_ERROR = 40900
SYS_ERROR = 50000
SYS_TIMEOUT = 50002


class ApiError(Exception):
    """An application error: rendered as HTTP 200 with ``{code, message, request_id, data: {}}``."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def param_error(field: str, problem: str) -> ApiError:
    """40002 whose message names the field, like TikTok's ``Missing required field(s): …``."""
    return ApiError(PARAM_ERROR, f"{field}: {problem}")


def missing(field: str) -> ApiError:
    return ApiError(PARAM_ERROR, f"Missing required field(s): {field}")


def not_exist(kind: str, ident: str) -> ApiError:
    return ApiError(NOT_EXIST, f"The {kind} {ident} does not exist.")
