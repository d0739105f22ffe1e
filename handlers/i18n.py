"""The one message catalog both adapters use (English and Simplified Chinese).

Keys are stable identifiers; templates use ``str.format`` fields. A missing
Chinese string falls back to English rather than failing a reply.
"""

from __future__ import annotations

from handlers import report_messages
from handlers.alerts import messages as alert_messages
from handlers.churn import messages as churn_messages
from handlers.campaigns import member_messages as member_campaign_messages
from handlers.campaigns import messages as campaign_messages
from handlers.contests import messages as contest_messages
from handlers.digest import messages as digest_messages
from handlers.digest import report_messages as digest_report_messages
from handlers.experiments import messages as experiment_messages
from handlers.nps import messages as nps_messages
from handlers.referrals import messages as referral_messages
from handlers.rewards import messages as reward_messages
from handlers.ugc import messages as ugc_messages

DEFAULT_LOCALE = "en"
LOCALES = ("en", "zh-CN")

CATALOG: dict[str, dict[str, str]] = {
    "points": {"en": "You have {balance:,} points ({lifetime:,} earned in all). Tier: {tier}. Rank #{rank}.",
               "zh-CN": "你有 {balance:,} 积分（累计获得 {lifetime:,}）。等级：{tier}。排名第 {rank} 名。"},
    "points.none": {"en": "You have no points yet. Chat in the community to earn some!",
                    "zh-CN": "你还没有积分。在社区里聊天即可获得积分！"},
    "leaderboard.title": {"en": "Leaderboard of {program}, page {page}:", "zh-CN": "{program} 排行榜，第 {page} 页："},
    "leaderboard.row": {"en": "#{rank} {name}: {lifetime:,} points", "zh-CN": "第 {rank} 名 {name}：{lifetime:,} 积分"},
    "leaderboard.empty": {"en": "Nobody is on page {page} of the leaderboard yet.",
                          "zh-CN": "排行榜第 {page} 页还没有人。"},
    "profile": {"en": "{name}: {balance:,} points, {lifetime:,} earned in all, tier {tier}, rank #{rank}, "
                      "streak {streak} day(s){frozen}. Linked: {platforms}.",
                "zh-CN": "{name}：{balance:,} 积分，累计 {lifetime:,}，等级 {tier}，排名第 {rank} 名，"
                         "连续活跃 {streak} 天{frozen}。已关联：{platforms}。"},
    "profile.frozen": {"en": ", earning frozen", "zh-CN": "，积分获取已冻结"},
    "link.code": {"en": "Your link code is {code}. Within 10 minutes, send /link {code} on the other platform.",
                  "zh-CN": "你的关联码是 {code}。请在 10 分钟内到另一个平台发送 /link {code}。"},
    "link.done": {"en": "Accounts linked. Your points are merged: {balance:,} points now.",
                  "zh-CN": "账号已关联，积分已合并：现在有 {balance:,} 积分。"},
    "link.bad_code": {"en": "Link code {code} is unknown, used or expired. Ask for a new one with /link.",
                      "zh-CN": "关联码 {code} 无效、已使用或已过期。请用 /link 重新获取。"},
    "link.same_platform": {"en": "Redeem the code on the other platform, not where it was issued.",
                           "zh-CN": "请在另一个平台使用关联码，而不是在生成它的平台。"},
    "link.other_program": {"en": "This code was made in a community of another program; ask for a new one here with /link.",
                           "zh-CN": "这个关联码来自另一个计划的社区；请在这里用 /link 重新获取。"},
    "link.already": {"en": "These accounts are already linked.", "zh-CN": "这些账号已经关联。"},
    "link.conflict": {"en": "Both accounts already have a {platform} identity; a member links one account per platform.",
                      "zh-CN": "两个账号都已有 {platform} 身份；每个平台只能关联一个账号。"},
    "award.done": {"en": "Awarded {amount:,} points to {name} ({reason}). New balance: {balance:,}.",
                   "zh-CN": "已给 {name} 增加 {amount:,} 积分（{reason}）。新余额：{balance:,}。"},
    "deduct.done": {"en": "Deducted {amount:,} points from {name} ({reason}). New balance: {balance:,}.",
                    "zh-CN": "已扣除 {name} {amount:,} 积分（{reason}）。新余额：{balance:,}。"},
    "freeze.done": {"en": "{name} can no longer earn points.", "zh-CN": "{name} 已被冻结，无法获得积分。"},
    "unfreeze.done": {"en": "{name} can earn points again.", "zh-CN": "{name} 已解冻，可以重新获得积分。"},
    "duplicate_event": {"en": "That request was already handled.", "zh-CN": "该请求已处理过。"},
    "help.header": {"en": "engagebot commands:", "zh-CN": "engagebot 命令："},
    "help.moderator": {"en": " (moderators)", "zh-CN": "（管理员）"},
    "error.not_moderator": {"en": "Only moderators can use /{command}.", "zh-CN": "只有管理员可以使用 /{command}。"},
    "error.unknown_command": {"en": "Unknown command /{command}. Try /help.", "zh-CN": "未知命令 /{command}。请试试 /help。"},
    "error.missing_argument": {"en": "/{command} needs {argument}. Usage: {usage}",
                               "zh-CN": "/{command} 需要参数 {argument}。用法：{usage}"},
    "error.amount_not_integer": {"en": "Amount '{value}' is not a whole number; use digits like 50.",
                                 "zh-CN": "数量“{value}”不是整数；请使用 50 这样的数字。"},
    "error.amount_not_positive": {"en": "Amount must be at least 1, got {value}.",
                                  "zh-CN": "数量至少为 1，收到的是 {value}。"},
    "error.amount_too_large": {"en": "Amount {value} is above this program's maximum of {maximum:,}.",
                               "zh-CN": "数量 {value} 超过了本计划的上限 {maximum:,}。"},
    "error.reason_missing": {"en": "Give a reason (1 to {maximum} characters).",
                             "zh-CN": "请填写原因（1 到 {maximum} 个字符）。"},
    "error.reason_too_long": {"en": "Reason is {length:,} characters; the limit is {maximum}.",
                              "zh-CN": "原因有 {length:,} 个字符；上限为 {maximum}。"},
    "error.reason_invalid": {"en": "The reason contains broken characters (unpaired surrogates); "
                                   "please retype it.",
                             "zh-CN": "原因中含有无效字符（不成对的代理字符）；请重新输入。"},
    "error.number_too_long": {"en": "The number {value} has {digits:,} digits; "
                                    "the most allowed here is {maximum:,}.",
                              "zh-CN": "数字 {value} 有 {digits:,} 位；这里允许的最大值是 {maximum:,}。"},
    "error.unknown_member": {"en": "I don't know the member {name} here yet. They need to post in the community first.",
                             "zh-CN": "我还不认识成员 {name}。对方需要先在社区里发言。"},
    "error.insufficient": {"en": "{name} has only {balance:,} points; cannot deduct {amount:,}.",
                           "zh-CN": "{name} 只有 {balance:,} 积分，无法扣除 {amount:,}。"},
    "error.page": {"en": "Page must be a whole number from 1 up, got '{value}'.",
                   "zh-CN": "页码必须是从 1 开始的整数，收到的是“{value}”。"},
    "error.page_too_large": {"en": "Page numbers go up to {maximum:,}, got {value:,}.",
                             "zh-CN": "页码最大为 {maximum:,}，收到的是 {value:,}。"},
    "error.bad_code": {"en": "A link code is 8 letters and digits, got '{value}'.",
                       "zh-CN": "关联码由 8 个字母和数字组成，收到的是“{value}”。"},
    "error.not_in_community": {"en": "Use this command inside a community that runs engagebot, not here.",
                               "zh-CN": "请在启用了 engagebot 的社区里使用此命令。"},
    "error.unconfigured": {"en": "This community is not part of any engagebot program yet; nothing was recorded.",
                           "zh-CN": "此社区尚未加入任何 engagebot 计划，未做任何记录。"},
    "error.unknown_action": {"en": "That button is no longer valid; nothing was changed.",
                             "zh-CN": "这个按钮已失效，没有做任何更改。"},
    "error.unknown_subcommand": {"en": "/{group} has no subcommand '{word}'. Use one of:",
                                 "zh-CN": "/{group} 没有子命令“{word}”。请使用以下之一："},
    "group.subcommands": {"en": "/{group} needs a subcommand, one of:", "zh-CN": "/{group} 需要一个子命令，可选："},
    "error.internal": {"en": "Something went wrong on our side; nothing was changed. Please try again.",
                       "zh-CN": "我们这边出了点问题，没有做任何更改。请重试。"},
    "dm.sent": {"en": "I sent you the answer in a private message.", "zh-CN": "我已通过私信把结果发给你。"},
    "dm.start_bot": {"en": "I can't message you privately yet: open a chat with @{bot}, press Start, then try again.",
                     "zh-CN": "我还不能私信你：请先打开与 @{bot} 的对话并点击“开始”，然后再试一次。"},
    "start": {"en": "Hi! I run the loyalty program in your community. Use my commands in the group; "
                    "private answers (points, link codes) will arrive here.",
              "zh-CN": "你好！我负责社区的积分计划。请在群里使用命令；积分、关联码等私人信息会发到这里。"},
    "cmd.points": {"en": "Show your points, tier and rank", "zh-CN": "查看你的积分、等级和排名"},
    "cmd.leaderboard": {"en": "Show the leaderboard", "zh-CN": "查看排行榜"},
    "cmd.profile": {"en": "Show a member's profile", "zh-CN": "查看成员资料"},
    "cmd.link": {"en": "Link your Discord and Telegram accounts", "zh-CN": "关联你的 Discord 和 Telegram 账号"},
    "cmd.help": {"en": "List the commands", "zh-CN": "列出所有命令"},
    "cmd.award": {"en": "Give points to a member", "zh-CN": "给成员增加积分"},
    "cmd.deduct": {"en": "Take points from a member", "zh-CN": "扣除成员积分"},
    "cmd.freeze": {"en": "Stop a member earning points", "zh-CN": "冻结成员的积分获取"},
    "cmd.unfreeze": {"en": "Let a member earn points again", "zh-CN": "解冻成员的积分获取"},
    "arg.member": {"en": "The member", "zh-CN": "成员"},
    "arg.amount": {"en": "Whole number of points", "zh-CN": "积分数量（整数）"},
    "arg.reason": {"en": "Why (shown in the ledger)", "zh-CN": "原因（记录在账本中）"},
    "arg.page": {"en": "Page number, from 1", "zh-CN": "页码，从 1 开始"},
    "arg.code": {"en": "Code from the other platform", "zh-CN": "另一个平台上获得的关联码"},
}
CATALOG.update(report_messages.MESSAGES)
CATALOG.update(digest_report_messages.MESSAGES)
CATALOG.update(digest_messages.MESSAGES)
CATALOG.update(ugc_messages.MESSAGES)
CATALOG.update(contest_messages.MESSAGES)
CATALOG.update(referral_messages.MESSAGES)
CATALOG.update(reward_messages.MESSAGES)
CATALOG.update(member_campaign_messages.MESSAGES)
CATALOG.update(campaign_messages.MESSAGES)
CATALOG.update(alert_messages.MESSAGES)
CATALOG.update(churn_messages.MESSAGES)
CATALOG.update(nps_messages.MESSAGES)
CATALOG.update(experiment_messages.MESSAGES)


def negotiate(tag: str | None) -> str:
    """Map a platform language tag ('zh', 'zh-CN', 'zh_Hans', 'en-US') to a catalog locale."""
    if tag and tag.replace("_", "-").lower().startswith("zh"):
        return "zh-CN"
    return DEFAULT_LOCALE


def translate(key: str, locale: str, **params: object) -> str:
    entry = CATALOG[key]
    return entry.get(locale, entry[DEFAULT_LOCALE]).format(**params)
