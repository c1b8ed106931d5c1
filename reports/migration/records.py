"""One indicator sheet as the old system carries it: plain values, no models.

The readers in this package fill these records; the import that writes them into the
portal's models reads them. Numbers are ``Decimal`` as printed (``Decimal("100.0000")``
keeps its four places), never float. Texts are verbatim.
"""

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class StrategyStep:
    """One level of the strategy path: code in Arabic digits ("7.3.1") and title."""

    code: str
    title: str

    @property
    def level(self) -> int:
        return self.code.count(".") + 1


@dataclass(frozen=True)
class Verification:
    """The auditors' verification (สยป. ตรวจประเมินตัวชี้วัด): the quarter and its score."""

    quarter: int
    score: Decimal | None


@dataclass(frozen=True)
class QuarterRecord:
    """One quarter: the unit's cumulative result, the auditors' evaluation, the narrative.

    ``score``, ``criterion_1`` and ``criterion_2`` are None where the sheet says the
    quarter was not evaluated; ``printed_score`` and ``printed_criteria`` keep what the
    sheet printed ("0.0000", "0 / 0"), so that nothing read is lost.
    """

    quarter: int
    result: Decimal | None = None
    score: Decimal | None = None
    criterion_1: Decimal | None = None
    criterion_2: Decimal | None = None
    narrative: str = ""
    printed_score: str = ""
    printed_criteria: str = ""


@dataclass(frozen=True)
class ProjectRecord:
    """A supporting project or activity; the old sheet prints no budget."""

    name: str
    budget: Decimal | None = None


@dataclass(frozen=True)
class DataSetRecord:
    """A city-development data set line, verbatim (code and name as the sheet prints them)."""

    text: str


@dataclass(frozen=True)
class SheetRecord:
    """A whole indicator sheet of one fiscal year (Buddhist Era)."""

    fiscal_year: int
    sequence: int
    name: str
    agreement_ref: str
    unit_code: str
    indicator_code: str
    unit_of_measure: str
    annual_target: Decimal
    achieved: Decimal | None
    indicator_type_text: str
    indicator_type: str | None
    result_level_text: str
    result_level: str | None
    verification: Verification | None
    criterion_labels: tuple[str, str]
    quarters: tuple[QuarterRecord, ...]
    summary: str
    definition: str
    calculation_method: str
    data_source: str
    strategy_path: tuple[StrategyStep, ...]
    projects: tuple[ProjectRecord, ...]
    data_sets: tuple[DataSetRecord, ...]
    warnings: tuple[str, ...] = ()

    def quarter(self, number: int) -> QuarterRecord | None:
        return next((row for row in self.quarters if row.quarter == number), None)
