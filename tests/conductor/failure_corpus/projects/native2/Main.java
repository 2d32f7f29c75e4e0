public class Main {
    public static void main(String[] args) {
        int count = "three";  // BUG:java
    }
}
