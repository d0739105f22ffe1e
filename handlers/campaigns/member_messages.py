"""Catalog entries of birthdays, tier perks and win-back nudges (gathered in ``handlers.i18n``)."""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    # /birthday
    "cmd.birthday": {"en": "Set your birthday (MM-DD) for a birthday surprise; without a date, show it",
                     "zh-CN": "设置你的生日（MM-DD）以获得生日惊喜；不带日期则查看已设置的生日"},
    "arg.birthday_date": {"en": "Your birthday as MM-DD, e.g. 07-21", "zh-CN": "你的生日，格式 MM-DD，例如 07-21"},
    "birthday.set": {"en": "Your birthday is set to {date}. It can be changed once a year, next from {next}.",
                     "zh-CN": "你的生日已设为 {date}。生日每年只能修改一次，下次可修改日期为 {next}。"},
    "birthday.leap": {"en": "In years without 29 February we celebrate you on 28 February.",
                      "zh-CN": "在没有 2 月 29 日的年份，我们会在 2 月 28 日为你庆祝。"},
    "birthday.unchanged": {"en": "Your birthday is already {date}; nothing changed.",
                           "zh-CN": "你的生日已经是 {date}，没有更改。"},
    "birthday.none": {"en": "You have not set a birthday yet: /birthday MM-DD, e.g. /birthday 07-21.",
                      "zh-CN": "你还没有设置生日：/birthday MM-DD，例如 /birthday 07-21。"},
    "birthday.current": {"en": "Your birthday is {date}; it can be changed from {next}.",
                         "zh-CN": "你的生日是 {date}；从 {next} 起可以修改。"},
    "error.birthday_off": {"en": "This program has no birthday campaign.", "zh-CN": "本计划没有生日活动。"},
    "error.birthday_format": {"en": "'{value}' is not a date: type your birthday as MM-DD, e.g. 07-21.",
                              "zh-CN": "“{value}”不是日期：请按 MM-DD 输入生日，例如 07-21。"},
    "error.birthday_month": {"en": "{value}: there is no such month; months go from 01 to 12.",
                             "zh-CN": "{value}：没有这个月份；月份为 01 到 12。"},
    "error.birthday_day": {"en": "{value}: that month has no such day; it has at most {days} days.",
                           "zh-CN": "{value}：该月没有这一天；该月最多 {days} 天。"},
    "error.birthday_locked": {"en": "Your birthday is {date}, set on {since}; it can be changed once a year, "
                                    "next from {next}.",
                              "zh-CN": "你的生日是 {date}（设置于 {since}）；生日每年只能修改一次，下次可修改日期为 {next}。"},
    "birthday.greeting": {"en": "Happy birthday, {name}! Everyone at {program} wishes you a wonderful day.",
                          "zh-CN": "{name}，生日快乐！{program} 的大家祝你度过美好的一天。"},
    "birthday.bonus": {"en": "Our gift: {points:,} points are in your account.",
                       "zh-CN": "我们的礼物：{points:,} 积分已存入你的账户。"},
    "birthday.story": {"en": "Share your birthday story with the community: /submit {hashtag} and your story "
                             "(a photo too), or post it with {hashtag}.",
                       "zh-CN": "和社区分享你的生日故事：发送 /submit {hashtag} 加上你的故事（也可以配图），"
                                "或发帖时带上 {hashtag}。"},
    "ugc.campaign_tag": {"en": "campaign {campaign}", "zh-CN": "活动 {campaign}"},
    # tier perks
    "tier.reached": {"en": "{name} reached {tier} in {program}. Congratulations!",
                     "zh-CN": "{name} 在 {program} 升级为 {tier}，恭喜！"},
    "tier.bonus": {"en": "Your {tier} monthly bonus in {program} for {month}: {points:,} points.",
                   "zh-CN": "你在 {program} 的 {tier} 月度奖励（{month}）：{points:,} 积分。"},
    "tier.warning": {"en": "Your {tier} tier in {program} is reviewed on {date}. Over the 12 months before then "
                           "you have {points:,} of the {needed:,} points it needs so far: earn {missing:,} more by "
                           "then to keep it.",
                     "zh-CN": "你在 {program} 的 {tier} 等级将于 {date} 复核。到那时为止的 12 个月内，你目前有 "
                              "{points:,} 积分，保级需要 {needed:,}：在那之前再获得 {missing:,} 积分即可保留等级。"},
    "tier.downgraded": {"en": "Your tier in {program} is now {tier}: {points:,} points over the last 12 months, "
                              "{old} needs {needed:,}. Earn them back and the next monthly review lifts you again.",
                        "zh-CN": "你在 {program} 的等级现在是 {tier}：过去 12 个月获得 {points:,} 积分，{old} 需要 "
                                 "{needed:,}。重新获得足够积分后，下次月度复核会恢复你的等级。"},
    # win-back
    "winback.nudge": {"en": "Hi {name}, we miss you at {program}! It has been {days} days since we last saw you.",
                      "zh-CN": "{name}，{program} 想念你！我们已经 {days} 天没见到你了。"},
    "winback.offer": {"en": "Come back within {days} days and earn points from a message: we add {points:,} "
                            "bonus points.",
                      "zh-CN": "{days} 天内回来并通过发言获得积分，我们将额外赠送 {points:,} 积分。"},
    "winback.stop_hint": {"en": "Don't want these messages? Press the button below.",
                          "zh-CN": "不想再收到此类消息？请点击下面的按钮。"},
    "winback.stop_button": {"en": "Stop these messages", "zh-CN": "不再接收此类消息"},
    "winback.returned": {"en": "Welcome back to {program}! Your {points:,} bonus points are in your account.",
                         "zh-CN": "欢迎回到 {program}！你的 {points:,} 奖励积分已存入账户。"},
    "winback.off": {"en": "You will get no more we-miss-you messages from {program}. /winback on turns them "
                          "back on.",
                    "zh-CN": "你将不再收到 {program} 的召回消息。发送 /winback on 可重新开启。"},
    "winback.already_off": {"en": "We-miss-you messages from {program} are already off.",
                            "zh-CN": "{program} 的召回消息已经是关闭状态。"},
    "winback.on": {"en": "We-miss-you messages from {program} are on again.",
                   "zh-CN": "已重新开启 {program} 的召回消息。"},
    "winback.already_on": {"en": "We-miss-you messages from {program} are already on.",
                           "zh-CN": "{program} 的召回消息已经是开启状态。"},
    "error.winback_choice": {"en": "/winback takes on or off, got '{value}'.",
                             "zh-CN": "/winback 只接受 on 或 off，收到的是“{value}”。"},
    "cmd.winback": {"en": "Turn we-miss-you messages on or off", "zh-CN": "开启或关闭召回消息"},
    "arg.winback_choice": {"en": "on or off", "zh-CN": "on（开启）或 off（关闭）"},
}
