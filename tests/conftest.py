import pytest

from indicators.models import Role
from tests.factories import make_user


@pytest.fixture
def executive(db):
    return make_user("exec", role=Role.EXECUTIVE)


@pytest.fixture
def executive_client(client, executive):
    client.force_login(executive)
    return client


@pytest.fixture
def seeded(db):
    """The seed indicator, exactly as on its sheet (no generated data)."""
    from indicators.demo.generate import seed_indicator

    return seed_indicator()
