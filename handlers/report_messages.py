"""Texts of the HTML reports a brand team opens (the UGC gallery), in the catalog's two locales.

Pure data: ``handlers.i18n`` merges it into ``CATALOG``, so the reports rendered in
``bot/reports`` translate through the same catalog (and English fallback) as chat replies.
"""

MESSAGES: dict[str, dict[str, str]] = {
    "report.gallery.title": {"en": "{program}: user-generated content", "zh-CN": "{program}：用户投稿"},
    "report.gallery.summary": {"en": "{count:,} submission(s), exported {at}; times in {zone}",
                               "zh-CN": "共 {count:,} 条投稿，导出于 {at}；时间按 {zone}"},
    "report.gallery.count": {"en": "{count:,} item(s)", "zh-CN": "{count:,} 条"},
    "report.gallery.empty": {"en": "Nothing here.", "zh-CN": "暂无内容。"},
    "report.gallery.by": {"en": "by {author}", "zh-CN": "作者：{author}"},
    "report.gallery.contest": {"en": "contest #{contest}", "zh-CN": "比赛 #{contest}"},
    "report.gallery.original": {"en": "Open the original", "zh-CN": "查看原帖"},
    "report.gallery.missing": {"en": "file missing", "zh-CN": "文件缺失"},
    "report.gallery.no_text": {"en": "(no text)", "zh-CN": "（无文字）"},
    "report.status.approved": {"en": "Approved", "zh-CN": "已通过"},
    "report.status.featured": {"en": "Featured", "zh-CN": "精选"},
    "report.status.pending": {"en": "Pending review", "zh-CN": "待审核"},
    "report.status.rejected": {"en": "Rejected", "zh-CN": "已拒绝"},
    "report.media.image": {"en": "Image", "zh-CN": "图片"},
    "report.media.video": {"en": "Video", "zh-CN": "视频"},
    "report.media.document": {"en": "Document", "zh-CN": "文档"},
    "report.sentiment.positive": {"en": "positive", "zh-CN": "积极"},
    "report.sentiment.neutral": {"en": "neutral", "zh-CN": "中性"},
    "report.sentiment.negative": {"en": "negative", "zh-CN": "消极"},
    "report.sentiment.unscored": {"en": "not scored", "zh-CN": "未评分"},
}
