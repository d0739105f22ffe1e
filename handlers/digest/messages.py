"""Texts of ``/digest``, English and Simplified Chinese (merged into ``handlers.i18n.CATALOG``)."""

MESSAGES: dict[str, dict[str, str]] = {
    "cmd.digest": {"en": "Get the community digest now: summary, charts and the HTML report (privately)",
                   "zh-CN": "立即获取社区简报：摘要、图表和 HTML 报告（私下发送）"},
    "arg.digest_period": {"en": "day, week or month, ending now (default week)",
                          "zh-CN": "day（天）、week（周）或 month（月），截至现在（默认 week）"},
    "error.digest_period": {"en": "{value} is not a digest period: use day, week or month.",
                            "zh-CN": "{value} 不是有效的简报周期：请使用 day、week 或 month。"},
    "error.digest_unavailable": {"en": "Digests cannot be drawn by this bot right now; ask its operator.",
                                 "zh-CN": "本机器人当前无法生成简报，请联系运营人员。"},
    "error.digest_failed": {"en": "The digest could not be made this time; please try again later.",
                            "zh-CN": "这次未能生成简报，请稍后再试。"},
}
