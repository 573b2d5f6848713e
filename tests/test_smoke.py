def test_index_for_visitors(client):
    response = client.get("/")
    assert response.status_code == 200
    assert b"one click" in response.data
