"""The embedded dev server is the real CLI binary from the venv, reachable on loopback."""

from demos.common.server import temporal_cli_path, temporal_cli_version


async def test_dev_server_is_loopback_and_answers(server, client):
    import uuid

    assert server.address.startswith("127.0.0.1:")
    # It answers for real: a workflow id only this test uses is not there, then there once started.
    marker = f"smoke-{uuid.uuid4().hex[:8]}"
    assert (await client.count_workflows(f'WorkflowId = "{marker}"')).count == 0
    await client.start_workflow("NoSuchWorkflowType", id=marker, task_queue=f"smoke-{marker}")
    for _ in range(50):  # visibility is eventually consistent
        if (await client.count_workflows(f'WorkflowId = "{marker}"')).count == 1:
            break
        import asyncio

        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"{marker} never showed up in the server's visibility")
    await client.get_workflow_handle(marker).terminate("smoke test")


def test_cli_version_parses():
    v = temporal_cli_version(temporal_cli_path())
    assert v["cli"].count(".") == 2 and v["server"]


async def test_a_taken_port_is_one_clear_error(monkeypatch):
    import socket

    import pytest

    from demos.common import server as server_module

    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        monkeypatch.setattr(server_module, "free_port", lambda: squatter.getsockname()[1])
        with pytest.raises(server_module.DemoError, match=r"the Temporal dev server exited at start \(code \d+\): .*"):
            async with server_module.dev_server():
                pass


async def test_web_ui_when_asked(tmp_path):
    import urllib.request

    from demos.common.server import dev_server

    async with dev_server(ui=True, db_path=tmp_path / "dev.sqlite") as srv:
        assert srv.ui_url and srv.ui_url.startswith("http://127.0.0.1:")
        for _ in range(50):  # the UI comes up a moment after the frontend
            try:
                with urllib.request.urlopen(srv.ui_url, timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                import asyncio

                await asyncio.sleep(0.1)
        else:
            raise AssertionError("the Web UI never answered")
    assert (tmp_path / "dev.sqlite").is_file()
