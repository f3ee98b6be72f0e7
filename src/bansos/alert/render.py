"""One alert, four renderings: an e-mail subject, plain text, HTML e-mail and Slack-compatible JSON.

Every rendering starts from a cleaned copy of the alert (:func:`cleaned`) and passes through
:func:`bansos.alert.redact.clean_text` once more at the end, so a full NIK cannot leave through any
channel even if a caller forgot to mask it. The JSON follows Slack's incoming-webhook format
(``text`` as the fallback, ``blocks`` for layout), which Mattermost, Rocket.Chat and plain HTTP
receivers accept as well.
"""

from __future__ import annotations

import html
from dataclasses import replace

from bansos.alert.message import Alert
from bansos.alert.redact import clean_rule, clean_text, clean_value

SUBJECT_MAX = 200
SLACK_TEXT_MAX = 2900  # Slack refuses a section text over 3000 characters
SLACK_RULES_MAX = 20  # and a message over 50 blocks
FOOTER = "-- bansos pipeline, Dinas Sosial Provinsi. NIK dan No KK selalu disamarkan (always masked)."


def cleaned(alert: Alert) -> Alert:
    """A copy of the alert with every string masked and examples stripped of personal fields."""
    return replace(
        alert,
        province=clean_text(alert.province),
        province_name=clean_text(alert.province_name or ""),
        periode=clean_text(alert.periode) if alert.periode else None,
        kode_kabkota=clean_text(alert.kode_kabkota) if alert.kode_kabkota else None,
        kabkota_name=clean_text(alert.kabkota_name) if alert.kabkota_name else None,
        summary=clean_text(alert.summary or ""),
        rules=[clean_rule(r) for r in alert.rules],
        links={clean_text(str(k)): clean_text(str(v)) for k, v in alert.links.items() if v},
        details=[clean_text(str(d)) for d in alert.details],
    )


def format_count(count) -> str:
    if count is None:
        return "-"
    return f"{count:,}" if isinstance(count, int) else str(count)


def format_example(example) -> str:
    """``baris 12: nik_masked=2171********0003`` for a row example, the value itself otherwise."""
    if not isinstance(example, dict):
        return str(example)
    rest = ", ".join(f"{k}={v}" for k, v in example.items() if k != "source_line")
    if "source_line" in example:
        return f"baris {example['source_line']}" + (f": {rest}" if rest else "")
    return rest


def _period(alert: Alert) -> str:
    return alert.periode or "-"


def subject(alert: Alert) -> str:
    a = cleaned(alert)
    place = f"{a.kode_kabkota} {a.kabkota_name or ''}".strip() if a.kode_kabkota else "seluruh provinsi"
    text = f"[bansos {a.province}] {a.short_title}: {place}, periode {_period(a)}"
    if a.rules:
        text += " - " + ", ".join(f"{r['rule']} ({format_count(r['count'])})" for r in a.rules)
    if len(text) > SUBJECT_MAX:
        text = text[: SUBJECT_MAX - 3] + "..."
    return clean_text(text)


def _rule_lines(rule: dict) -> list[str]:
    lines = [f"  - {rule['rule']} [{rule['severity']}], jumlah (count) {format_count(rule['count'])}: "
             f"{rule['description']}"]
    if rule["examples"]:
        lines.append("      contoh (examples): " + "; ".join(format_example(e) for e in rule["examples"]))
    return lines


def text(alert: Alert) -> str:
    a = cleaned(alert)
    lines = [f"[{a.severity.upper()}] {a.title}", f"{a.where} - periode {_period(a)}", ""]
    if a.summary:
        lines += [a.summary, ""]
    if a.rules:
        lines.append("Aturan yang gagal (failed rules):")
        for rule in a.rules:
            lines += _rule_lines(rule)
        lines.append("")
    if a.details:
        lines.append("Rincian (details):")
        lines += [f"  - {d}" for d in a.details]
        lines.append("")
    if a.links:
        lines.append("Tautan (links):")
        lines += [f"  - {label}: {url}" for label, url in a.links.items()]
        lines.append("")
    lines.append(FOOTER)
    return clean_text("\n".join(lines))


def _href(url: str) -> str:
    esc = html.escape(url)
    if url.startswith(("http://", "https://", "file://")):
        return f'<a href="{esc}">{esc}</a>'
    return f"<code>{esc}</code>"


def html_body(alert: Alert) -> str:
    a = cleaned(alert)
    e = html.escape
    colour = "#b00020" if a.severity == "error" else "#a15c00"
    parts = [
        "<html><body style=\"font-family:sans-serif\">",
        f'<h2 style="color:{colour}">[{e(a.severity.upper())}] {e(a.title)}</h2>',
        "<table>",
        f"<tr><th align=left>Provinsi</th><td>{e(a.province_name)} ({e(a.province)})</td></tr>",
        "<tr><th align=left>Kab/Kota</th><td>"
        + (f"{e(a.kabkota_name or '')} ({e(a.kode_kabkota)})" if a.kode_kabkota else "seluruh provinsi")
        + "</td></tr>",
        f"<tr><th align=left>Periode</th><td>{e(_period(a))}</td></tr>",
        "</table>",
    ]
    if a.summary:
        parts.append(f"<p>{e(a.summary)}</p>")
    if a.rules:
        parts += ["<h3>Aturan yang gagal (failed rules)</h3>",
                  '<table border="1" cellpadding="4" style="border-collapse:collapse">',
                  "<tr><th>aturan</th><th>tingkat</th><th>jumlah</th><th>keterangan</th><th>contoh</th></tr>"]
        for r in a.rules:
            examples = "<br>".join(e(format_example(x)) for x in r["examples"])
            parts.append(f"<tr><td><code>{e(r['rule'])}</code></td><td>{e(r['severity'])}</td>"
                         f"<td align=right>{e(format_count(r['count']))}</td><td>{e(r['description'])}</td>"
                         f"<td>{examples}</td></tr>")
        parts.append("</table>")
    if a.details:
        parts += ["<h3>Rincian (details)</h3>", "<ul>"] + [f"<li>{e(d)}</li>" for d in a.details] + ["</ul>"]
    if a.links:
        parts += ["<h3>Tautan (links)</h3>", "<ul>"]
        parts += [f"<li>{e(label)}: {_href(url)}</li>" for label, url in a.links.items()]
        parts.append("</ul>")
    parts.append("<p><small>bansos pipeline. NIK dan No KK selalu disamarkan (always masked).</small></p>")
    parts.append("</body></html>")
    return clean_text("\n".join(parts))


def _mrkdwn(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(value: str, limit: int = SLACK_TEXT_MAX) -> str:
    return value if len(value) <= limit else value[: limit - 3] + "..."


def _slack_link(label: str, url: str) -> str:
    if url.startswith(("http://", "https://")):
        return f"<{url}|{_mrkdwn(label)}>"
    return f"{_mrkdwn(label)}: `{_mrkdwn(url)}`"


def slack_payload(alert: Alert) -> dict:
    a = cleaned(alert)
    m = _mrkdwn
    blocks = [
        {"type": "header",
         "text": {"type": "plain_text", "text": _cut(f"[{a.severity.upper()}] {a.title}", 150)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _cut(
            f"*{m(a.where)}*, periode *{m(_period(a))}*" + (f"\n{m(a.summary)}" if a.summary else ""))}},
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": f"*Provinsi*\n{m(a.province_name)} ({m(a.province)})"},
            {"type": "mrkdwn", "text": "*Kab/Kota*\n" + (f"{m(a.kabkota_name or '')} ({m(a.kode_kabkota)})"
                                                        if a.kode_kabkota else "seluruh provinsi")},
            {"type": "mrkdwn", "text": f"*Periode*\n{m(_period(a))}"},
            {"type": "mrkdwn", "text": f"*Tingkat (severity)*\n{m(a.severity)}"},
        ]},
    ]
    for r in a.rules[:SLACK_RULES_MAX]:
        body = (f"*`{m(r['rule'])}`* ({m(r['severity'])}), jumlah *{m(format_count(r['count']))}*\n"
                + m(r["description"]))
        if r["examples"]:
            body += "\n_contoh:_ " + m("; ".join(format_example(x) for x in r["examples"]))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(body)}})
    if len(a.rules) > SLACK_RULES_MAX:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"... dan {len(a.rules) - SLACK_RULES_MAX} aturan lain"}]})
    if a.details:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(
            "*Rincian*\n" + "\n".join(f"• {m(d)}" for d in a.details))}})
    if a.links:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(
            "*Tautan*\n" + "\n".join(_slack_link(label, url) for label, url in a.links.items()))}})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": "bansos pipeline · NIK dan No KK selalu disamarkan"}]})
    fallback = subject(alert) + (f"\n{a.summary}" if a.summary else "")
    return clean_value({"text": fallback, "blocks": blocks})
