from conftest import new_session


async def test_message_roundtrip(client):
    answer = await new_session(client, "ما هي الباقات المتاحة؟")
    assert answer["session_id"] and answer["session_token"]
