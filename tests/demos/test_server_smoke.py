"""The embedded dev server is the real CLI binary from the venv, reachable on loopback."""

from demos.common.server import temporal_cli_path, temporal_cli_version


async def test_dev_server_is_loopback_and_answers(server, client):
    assert server.address.startswith("127.0.0.1:")
    count = await client.count_workflows()
    assert count.count >= 0


def test_cli_version_parses():
    v = temporal_cli_version(temporal_cli_path())
    assert v["cli"].count(".") == 2 and v["server"]
