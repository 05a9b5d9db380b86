"""Data the Bot API emulator records and serves: calls, scripted failures, chats, errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

TOKEN = "123456:TEST-token-for-the-emulator"
MESSAGE_LIMIT = 4096
JSON_FIELDS = {
    "reply_parameters",
    "link_preview_options",
    "commands",
    "scope",
    "allowed_updates",
    "reply_markup",
    "entities",
}
FILE_FIELDS = frozenset({"photo", "document"})  # multipart uploads, kept as bytes
INT_FIELDS = {"message_id", "message_thread_id", "offset", "limit", "user_id"}


@dataclass
class ApiCall:
    """One request the bot made, with its decoded parameters and what it got back."""

    method: str
    params: dict[str, Any]
    at: float
    ok: bool = True
    result: Any = None
    error: str | None = None

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str:
        return str(self.params.get("text", ""))


@dataclass
class Failure:
    """A scripted error reply for the next matching call."""

    method: str
    status: int
    description: str
    retry_after: int | None = None
    times: int = 1
    when: Callable[[dict[str, Any]], bool] | None = None


@dataclass
class Chat:
    id: int
    type: str
    title: str | None = None
    is_forum: bool = False
    next_message_id: int = 1
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    member_status: dict[int, str] = field(default_factory=dict)  # user id → status

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.title:
            data["title"] = self.title
        else:
            data["first_name"] = f"User{self.id}"
        if self.is_forum:
            data["is_forum"] = True
        return data


def user_dict(user_id: int, *, is_bot: bool = False, username: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": f"User{user_id}"}
    if username:
        data["username"] = username
    return data


class ApiError(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


ADMIN_RIGHTS = (
    "can_be_edited can_manage_chat can_delete_messages can_manage_video_chats "
    "can_restrict_members can_promote_members can_change_info can_invite_users "
    "can_post_stories can_edit_stories can_delete_stories"
).split()


def chat_member(user_id: int, status: str) -> dict[str, Any]:
    """A ChatMember object as Telegram sends it for `status`."""
    member: dict[str, Any] = {"status": status, "user": user_dict(user_id)}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({right: right != "can_be_edited" for right in ADMIN_RIGHTS})
        member["is_anonymous"] = False
    elif status == "restricted":
        raise ValueError("restricted members are not emulated")
    return member
