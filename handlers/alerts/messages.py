"""Spike alert texts, English and Simplified Chinese (merged into ``handlers.i18n.CATALOG``)."""

MESSAGES: dict[str, dict[str, str]] = {
    "alerts.negative": {
        "en": "⚠️ Negative spike in {channel}: {share:.0%} of the {messages:,} scored messages of the last hour "
              "were negative; usually {mean:.0%} (z = {z:.1f}).",
        "zh-CN": "⚠️ {channel} 负面情绪激增：过去一小时 {messages:,} 条已评分消息中 {share:.0%} 为负面；"
                 "通常为 {mean:.0%}（z = {z:.1f}）。"},
    "alerts.volume": {
        "en": "⚠️ Message spike in {channel}: {messages:,} messages in the last hour; usually {mean:.1f} an hour "
              "(z = {z:.1f}).",
        "zh-CN": "⚠️ {channel} 消息量激增：过去一小时 {messages:,} 条消息；通常每小时 {mean:.1f} 条（z = {z:.1f}）。"},
    "alerts.samples.negative": {"en": "Most negative messages:", "zh-CN": "最负面的消息："},
    "alerts.samples.volume": {"en": "Latest messages:", "zh-CN": "最新消息："},
    "alerts.sample": {"en": "• {author} ({time} UTC): {text}", "zh-CN": "• {author}（UTC {time}）：{text}"},
    "alerts.recovered.negative": {
        "en": "✅ The negative spike in {channel} has subsided: {share:.0%} negative in the last hour; "
              "usually {mean:.0%}.",
        "zh-CN": "✅ {channel} 的负面情绪激增已平息：过去一小时负面占 {share:.0%}；通常为 {mean:.0%}。"},
    "alerts.recovered.volume": {
        "en": "✅ The message spike in {channel} has subsided: {messages:,} messages in the last hour; "
              "usually {mean:.1f}.",
        "zh-CN": "✅ {channel} 的消息量激增已平息：过去一小时 {messages:,} 条消息；通常为 {mean:.1f} 条。"},
    "alerts.channel": {"en": "channel {channel}", "zh-CN": "频道 {channel}"},
    "alerts.kind.negative": {"en": "negative share", "zh-CN": "负面占比"},
    "alerts.kind.volume": {"en": "message volume", "zh-CN": "消息量"},
    "alerts.section.title": {"en": "Alerts raised", "zh-CN": "触发的警报"},
    "alerts.section.headline": {"en": "{count} incident(s), {open} still open at the end of the period.",
                                "zh-CN": "共 {count} 起事件，期末仍有 {open} 起未平息。"},
    "alerts.section.opened": {"en": "Raised", "zh-CN": "触发时间"},
    "alerts.section.channel": {"en": "Channel", "zh-CN": "频道"},
    "alerts.section.kind": {"en": "Spike", "zh-CN": "类型"},
    "alerts.section.value": {"en": "Value", "zh-CN": "数值"},
    "alerts.section.mean": {"en": "Baseline", "zh-CN": "基线"},
    "alerts.section.z": {"en": "z", "zh-CN": "z"},
    "alerts.section.closed": {"en": "Subsided", "zh-CN": "平息时间"},
    "alerts.section.per_hour": {"en": "{value:.1f}/h", "zh-CN": "{value:.1f}/小时"},
    "alerts.section.still_open": {"en": "still open", "zh-CN": "仍未平息"},
}
