"""The model-free backend: the spec's decision order applied to extracted entities.

It is the embedded default (no model, no torch) and the reference that the training data audit
compares teacher labels with.
"""

from __future__ import annotations

from dataclasses import dataclass

from ea_plugin.entities import Entities, FaultCode, describe, extract_entities, faults_match
from ea_plugin.plugins import hookimpl
from ea_plugin.prompts import ALIGNED, UNALIGNED, format_analysis
from ea_plugin.verdict import Judgement, Pair


@dataclass(frozen=True)
class Decision:
    label: str
    reason: str
    kind: str  # which rule decided: product, fault, parameter, default


def decide(question: Entities, chunk: Entities) -> Decision:
    """Decision order of spec/alignment-rules.md: products, then fault codes, then parameters."""
    if question.products and chunk.products:
        q_mains = {p.main for p in question.products}
        shared = [p for p in chunk.products if p.main in q_mains]
        if not shared:
            c_mains = ", ".join(sorted({p.main for p in chunk.products}))
            return Decision(
                UNALIGNED,
                f"产品不同：question主型号为{', '.join(sorted(q_mains))}，chunk主型号为{c_mains}（产品实体优先）",
                "product",
            )
    if question.faults and chunk.faults:
        matched = [(a, b) for a in question.faults for b in chunk.faults if faults_match(a, b)]
        if not matched:
            q_codes = ", ".join(_fault_key(f) for f in question.faults)
            c_codes = ", ".join(_fault_key(f) for f in chunk.faults)
            return Decision(UNALIGNED, f"故障码不同：question为{q_codes}，chunk为{c_codes}", "fault")
    if question.parameters and chunk.parameters:
        q_params = {p.normal for p in question.parameters}
        if not any(p.normal in q_params for p in chunk.parameters):
            c_params = ", ".join(p.text for p in chunk.parameters)
            q_text = ", ".join(p.text for p in question.parameters)
            return Decision(UNALIGNED, f"参数编号不同：question为{q_text}，chunk为{c_params}", "parameter")
    return Decision(ALIGNED, _aligned_reason(question, chunk), _aligned_kind(question, chunk))


def _fault_key(code: FaultCode) -> str:
    return f"{(code.family or '任意').upper()}族主码{code.main}"


def _aligned_kind(question: Entities, chunk: Entities) -> str:
    if question.products and chunk.products:
        return "product"
    if question.faults and chunk.faults:
        return "fault"
    if question.parameters and chunk.parameters:
        return "parameter"
    return "default"


def _aligned_reason(question: Entities, chunk: Entities) -> str:
    if question.empty:
        return "question中没有实体，默认对齐"
    reasons = []
    if question.products and chunk.products:
        mains = sorted({p.main for p in question.products} & {p.main for p in chunk.products})
        reasons.append(f"产品主型号相同（{', '.join(mains)}）")
    if question.faults and chunk.faults:
        pair = next((a, b) for a in question.faults for b in chunk.faults if faults_match(a, b))
        reasons.append(f"故障码{pair[0].text}和{pair[1].text}主码相同（{pair[0].main}）")
    if question.parameters and chunk.parameters:
        reasons.append("参数编号相同")
    if not reasons:
        return "chunk中没有question所含类型的实体，默认对齐"
    return "，".join(reasons)


class RulesBackend:
    """Decides by the spec's rules; ``score`` is 1.0 or 0.0, ``generate`` writes the four-step analysis."""

    name = "rules"

    def _verdict(self, pair: Pair, mode: str) -> Judgement:
        q_entities, c_entities = extract_entities(pair.question), extract_entities(pair.chunk)
        decision = decide(q_entities, c_entities)
        reasoning = format_analysis(describe(q_entities), describe(c_entities), decision.label, decision.reason)
        return Judgement(
            decision.label,
            score=1.0 if decision.label == ALIGNED else 0.0,
            reasoning=reasoning,
            raw=reasoning,
            mode=mode,
            backend=self.name,
            extra={"rule": decision.kind},
        )

    def score(self, pairs: list[Pair]) -> list[Judgement]:
        return [self._verdict(pair, "fast") for pair in pairs]

    def generate(self, pairs: list[Pair]) -> list[Judgement]:
        return [self._verdict(pair, "think") for pair in pairs]


@hookimpl
def ea_register_backends(register) -> None:  # noqa: ANN001 - pluggy passes the registrar
    register("rules", RulesBackend)
