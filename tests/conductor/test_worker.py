from conductor.messages import Message
from conductor.worker import WorkerContext


def test_worker_context_flush_hands_back_and_forgets():
    context = WorkerContext(ticket_id="T1", provider="scripted", model="m", config={"trust": "step"})
    context.messages.append(Message(role="user", text="hi"))
    assert context.flush() == [Message(role="user", text="hi")]
    assert context.messages == []
