"""The evaluation report and the risk list as a person reads them, in English or Chinese: text
lines, and an HTML page with the reliability curve (calibration plot)."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from ...i18n import Display, message
from ...plotting import BLUE, GREY, accessible_svg, plot_style, svg_of

__all__ = ["evaluation_html", "evaluation_lines", "ranking_name", "score_lines"]


def _say(message_id: str, lang: Display, **params: Any) -> str:
    return message(message_id, {k: str(v) for k, v in params.items()}, lang)


def _figure(value: float | None, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def ranking_name(name: str, lang: Display) -> str:
    """The model's or a baseline's name; a rule set's own baseline by its id."""
    try:
        return _say(f"charging.risk.ranking.{name}", lang)
    except KeyError:
        return name


def _row(name: str, figures: dict[str, float | None], lang: Display) -> str:
    return _say("charging.risk.eval_row", lang, name=ranking_name(name, lang),
                pr_auc=_figure(figures["pr_auc"]),
                precision=_figure(figures["precision_at_k"]),
                recall=_figure(figures["recall_at_k"]),
                lead=_figure(figures["lead_time_h"], 1))


def evaluation_lines(report: dict[str, Any], lang: Display) -> list[str]:
    """The report as lines: windows, the model's and each baseline's figures, the verdict."""
    train, test = report["split"]["train"], report["split"]["test"]
    detail = report["detail"]
    lines = [_say("charging.risk.eval_head", lang, horizon=report["horizon"], k=report["k"]),
             _say("charging.risk.eval_split", lang, train_from=train["from"],
                  train_to=train["to"], test_from=test["from"], test_to=test["to"],
                  folds=len(detail["folds"]), pooled_from=detail["test_pooled"]["from"],
                  pooled_to=detail["test_pooled"]["to"],
                  positives=detail["test_pooled"]["positives"]),
             _row("model", report["model"], lang)]
    lines += [_row(name, figures, lang) for name, figures in report["baselines"].items()]
    lines += [_say("charging.risk.baseline_missing", lang, name=ranking_name(name, lang))
              for name in detail["baselines_missing"]]
    if detail["score_kinds"] != ["probability"]:
        lines.append(_say("charging.risk.unsupervised", lang))
    lines.append(report["verdict"][lang])
    return lines


def _calibration_svg(points: list[dict[str, float | int]], lang: Display) -> Markup:
    """Numbers only, as every report's plots (a CJK glyph would be missing from the plot's
    font): the caption and the text alternative say what the axes are."""
    from matplotlib.figure import Figure

    with plot_style():
        figure = Figure(figsize=(4.2, 3.6))
        axes = figure.add_subplot()
        axes.plot([0, 1], [0, 1], color=GREY, linestyle="--", linewidth=0.8)
        axes.plot([p["predicted"] for p in points], [p["observed"] for p in points],
                  color=BLUE, marker="o")
        axes.set_xlim(0, 1)
        axes.set_ylim(0, 1)
        figure.tight_layout()
    return accessible_svg(svg_of(figure), "risk-calibration",
                          _say("charging.risk.calibration_alt", lang))


def evaluation_html(report: dict[str, Any], lang: Display) -> str:
    """A page of its own: the figures as a table, the verdict, the reliability curve."""
    head = [_say("charging.risk.col_ranking", lang), "PR-AUC",
            _say("charging.risk.col_precision", lang, k=report["k"]),
            _say("charging.risk.col_recall", lang, k=report["k"]),
            _say("charging.risk.col_lead", lang)]
    rows = [("model", report["model"]), *report["baselines"].items()]
    body = "".join(
        f"<tr><th scope=\"row\">{escape(ranking_name(name, lang))}</th>"
        f"<td>{_figure(f['pr_auc'])}</td><td>{_figure(f['precision_at_k'])}</td>"
        f"<td>{_figure(f['recall_at_k'])}</td><td>{_figure(f['lead_time_h'], 1)}</td></tr>"
        for name, f in rows)
    lines = evaluation_lines(report, lang)
    points = report["detail"]["calibration"]
    plot = (f"<h2>{escape(_say('charging.risk.calibration', lang))}</h2>"
            f"<figure>{_calibration_svg(points, lang)}<figcaption>"
            f"{escape(_say('charging.risk.calibration_axes', lang))}</figcaption></figure>"
            ) if points else ""
    title = escape(_say("charging.risk.html_title", lang))
    return (f"<!doctype html>\n<html lang=\"{lang}\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body><main><h1>{title}</h1>"
            + "".join(f"<p>{escape(line)}</p>" for line in lines[:2])
            + "<table><thead><tr>" + "".join(f"<th scope=\"col\">{escape(h)}</th>"
                                            for h in head)
            + f"</tr></thead><tbody>{body}</tbody></table>"
            + "".join(f"<p>{escape(line)}</p>" for line in lines[2 + len(rows):])
            + plot + "</main></body></html>\n")


def score_lines(scored: list[dict[str, Any]], *, day: str, lang: Display) -> list[str]:
    """The risk list: a heading naming the method, then one line per port."""
    lines = [_say("charging.risk.score_head", lang, count=len(scored), day=day),
             _say("charging.risk.method", lang)]
    for rank, row in enumerate(scored, start=1):
        lines.append(_say("charging.risk.score_row", lang, rank=rank, port=row["port_id"],
                          station=row["station_id"], operator=row["operator"],
                          score=f"{row['score']:.3f}",
                          kind=_say(f"charging.risk.kind.{row['score_kind']}", lang)))
        lines += [_say("charging.risk.score_driver", lang,
                       contribution=f"{d['contribution']:+.3f}", name=d["feature"],
                       feature=feature_name(d["feature"], lang)) for d in row["drivers"]]
        if not row["drivers"]:
            lines.append(_say("charging.risk.no_drivers", lang))
    return lines


def feature_name(feature: str, lang: Display) -> str:
    """A feature's description in the reader's language (the operator's category when the
    pooled model names it)."""
    try:
        return _say(f"charging.risk.feature.{feature}", lang)
    except KeyError:
        return feature
